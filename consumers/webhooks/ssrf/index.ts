export {
  createSsrfGuard,
  type ResolvedAddress,
  type Resolver,
  type SsrfGuard,
  type SsrfPolicy,
  systemResolver,
  type VettedTarget,
} from "./guard.ts";
export { embeddedIpv4, forbiddenReason } from "./ranges.ts";
