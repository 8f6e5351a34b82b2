export {
  AVRO_DIR,
  type AvroSchema,
  fullName,
  type NamedSchema,
  SchemaCatalog,
  schemaCatalog,
} from "./catalog.ts";
