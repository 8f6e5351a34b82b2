/**
 * Generates TypeScript types from the Avro schemas. Output is deterministic so CI can regenerate
 * and fail on a diff (`npm run codegen:check`).
 */
import type { NamedSchema, SchemaCatalog } from "../catalog/index.ts";
import { fullName } from "../catalog/index.ts";

const HEADER = `// DO NOT EDIT: generated from schemas/avro/*.avsc by \`npm run codegen\`.
// Timestamps (logicalType timestamp-millis) are epoch milliseconds.
`;

const PRIMITIVE_TS: Record<string, string> = {
  null: "null",
  boolean: "boolean",
  int: "number",
  long: "number",
  float: "number",
  double: "number",
  bytes: "Buffer",
  string: "string",
};

function shortName(full: string): string {
  return full.slice(full.lastIndexOf(".") + 1);
}

function docComment(doc: unknown, indent = ""): string {
  if (typeof doc !== "string" || !doc) return "";
  return `${indent}/** ${doc.replace(/\*\//g, "*\\/")} */\n`;
}

export function generateTypes(catalog: SchemaCatalog): string {
  const emitted = new Map<string, string>();

  const tsType = (schema: unknown, namespace: string | undefined): string => {
    if (typeof schema === "string") {
      if (PRIMITIVE_TS[schema]) return PRIMITIVE_TS[schema];
      const full = fullName(schema, namespace);
      const target = catalog.named.get(full) ?? catalog.named.get(schema);
      if (!target) throw new Error(`codegen: unknown type ${schema}`);
      emitNamed(target);
      return shortName(full);
    }
    if (Array.isArray(schema)) return schema.map((s) => tsType(s, namespace)).join(" | ");
    const obj = schema as Record<string, unknown>;
    switch (obj.type) {
      case "array":
        return `Array<${tsType(obj.items, namespace)}>`;
      case "map":
        return `Record<string, ${tsType(obj.values, namespace)}>`;
      case "record":
      case "enum":
      case "fixed": {
        const named = obj as NamedSchema;
        const ns = (named.namespace as string | undefined) ?? namespace;
        const target = catalog.named.get(fullName(named.name, ns));
        if (!target) throw new Error(`codegen: unindexed type ${named.name}`);
        emitNamed(target);
        return named.name;
      }
      default:
        return tsType(obj.type, namespace);
    }
  };

  const emitNamed = (schema: NamedSchema): void => {
    const name = schema.name;
    if (emitted.has(name)) return;
    emitted.set(name, ""); // reserve: breaks cycles
    const ns = schema.namespace as string | undefined;
    let out = docComment(schema.doc);
    if (schema.type === "enum") {
      const symbols = (schema.symbols as string[]).map((s) => JSON.stringify(s)).join(" | ");
      out += `export type ${name} = ${symbols};\n`;
    } else if (schema.type === "fixed") {
      out += `export type ${name} = Buffer;\n`;
    } else {
      out += `export interface ${name} {\n`;
      for (const field of schema.fields as { name: string; type: unknown; doc?: string }[]) {
        out += docComment(field.doc, "  ");
        out += `  ${field.name}: ${tsType(field.type, ns)};\n`;
      }
      out += "}\n";
    }
    emitted.set(name, out);
  };

  for (const name of catalog.names()) emitNamed(catalog.files.get(name)!);

  const body = [...emitted.keys()]
    .sort()
    .map((k) => emitted.get(k))
    .join("\n");
  const map = catalog
    .names()
    .map((n) => `  ${n}: ${n};`)
    .join("\n");
  return `${HEADER}\n${body}\n/** Every top-level schema by name: the value type of topics declared with that schema. */\nexport interface SchemaTypes {\n${map}\n}\n\nexport type SchemaName = keyof SchemaTypes;\n`;
}
