export {
  type Connections,
  type ConnectionsInput,
  connectionsFromEnv,
  connectionsSchema,
  deepFreeze,
  LOCAL_DEFAULTS,
  usesExternalCluster,
  validateConnections,
} from "./connections.ts";
export { envBool, envInt } from "./env.ts";
