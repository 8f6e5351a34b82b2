/**
 * The SSRF guard: decides whether a webhook URL may be called, before any connection is made, and
 * returns the vetted addresses the HTTP client must connect to (the client pins them with its own
 * `lookup`, so a DNS answer that changes between check and connect, "DNS rebinding", cannot slip a
 * private address in). The resolver is injected: tests stub it and never send traffic off loopback.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { errorMessage, UnrecoverableError, VerdictError } from "../../../lib/errors/index.ts";
import { canonicalIpv6, forbiddenReason, METADATA_HOSTS, parseCidr } from "./ranges.ts";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (A and AAAA). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface SsrfPolicy {
  /** Host names allowed whatever they resolve to (exact, case-insensitive), e.g. "localhost". */
  allowHosts: readonly string[];
  /** Address ranges allowed even though they are private/loopback, e.g. "127.0.0.0/8", "::1/128". */
  allowCidrs: readonly string[];
  /** Allow plain http:// URLs (default false: partners get HTTPS). */
  allowHttp: boolean;
}

export interface VettedTarget {
  url: URL;
  /** Addresses the client may connect to, all checked. */
  addresses: ResolvedAddress[];
}

export interface SsrfGuard {
  /** Checks the URL's form (synchronously, no DNS): scheme, credentials, metadata host names. */
  checkUrl(url: string): URL;
  /** checkUrl + resolve + check every address. Throws VERDICT_ERR_WEBHOOK_SSRF (never retriable). */
  vet(url: string | URL): Promise<VettedTarget>;
}

function refuse(message: string, context: Record<string, unknown>): never {
  throw new UnrecoverableError("VERDICT_ERR_WEBHOOK_SSRF", message, { context });
}

export function createSsrfGuard(policy: SsrfPolicy, resolver: Resolver = systemResolver): SsrfGuard {
  const allowHosts = new Set(policy.allowHosts.map((h) => h.toLowerCase()));
  const allowed = new BlockList();
  for (const text of policy.allowCidrs) {
    const cidr = parseCidr(text);
    if (!cidr) {
      throw new VerdictError(
        "VERDICT_ERR_CONFIG",
        `VERDICT_WEBHOOK_ALLOW_CIDRS: "${text}" is not a CIDR (e.g. 127.0.0.0/8)`,
      );
    }
    allowed.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  const hint = (host: string) =>
    `If this endpoint is meant to be internal, allowlist it: VERDICT_WEBHOOK_ALLOW_HOSTS=${host} or VERDICT_WEBHOOK_ALLOW_CIDRS=<range>.`;

  function checkUrl(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UnrecoverableError(
        "VERDICT_ERR_WEBHOOK_ENDPOINT",
        `Endpoint URL "${text}" is not a valid absolute URL`,
      );
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp)) {
      refuse(
        `Endpoint URL scheme ${url.protocol} is not allowed: use https:// (plain http needs VERDICT_WEBHOOK_ALLOW_HTTP=true)`,
        { host: url.hostname },
      );
    }
    if (url.username || url.password) {
      throw new UnrecoverableError(
        "VERDICT_ERR_WEBHOOK_ENDPOINT",
        "Endpoint URL must not carry credentials (user:password@): partners authenticate us by the signature",
      );
    }
    const host = hostOf(url);
    if (!allowHosts.has(host) && METADATA_HOSTS.has(host)) {
      refuse(`Endpoint host "${host}" is a cloud metadata service: refused. ${hint(host)}`, { host });
    }
    return url;
  }

  async function vet(input: string | URL): Promise<VettedTarget> {
    const url = checkUrl(String(input));
    const host = hostOf(url);
    let addresses: ResolvedAddress[];
    const literal = isIP(host);
    if (literal) {
      addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await resolver(host);
      } catch (cause) {
        // DNS can recover: the attempt fails and is retried on the schedule.
        throw new VerdictError(
          "VERDICT_ERR_WEBHOOK_DELIVERY",
          `Cannot resolve endpoint host "${host}": ${errorMessage(cause)}`,
          {
            cause,
            retriable: true,
            context: { host },
          },
        );
      }
      if (addresses.length === 0) {
        throw new VerdictError("VERDICT_ERR_WEBHOOK_DELIVERY", `Endpoint host "${host}" has no addresses`, {
          retriable: true,
          context: { host },
        });
      }
    }
    if (allowHosts.has(host)) return { url, addresses };
    for (const a of addresses) {
      const why = forbiddenReason(a.address);
      if (!why) continue;
      if (allowed.check(a.address, a.family === 6 ? "ipv6" : "ipv4")) continue;
      const shown = literal ? `is ${a.address}` : `resolves to ${a.address}`;
      refuse(`Endpoint host "${host}" ${shown} (${why}): refused before connecting. ${hint(host)}`, {
        host,
        address: a.address,
        reason: why,
      });
    }
    return { url, addresses };
  }

  return { checkUrl, vet };
}

/** Lower-case host without IPv6 brackets, canonical for IPv6 literals. */
function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) return canonicalIpv6(host.slice(1, -1));
  return host.endsWith(".") ? host.slice(0, -1) : host;
}
