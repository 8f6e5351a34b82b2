/**
 * Address ranges a webhook must never reach unless an operator allowlists them: loopback, private,
 * link-local (cloud metadata lives at 169.254.169.254 / fd00:ec2::254), CGNAT, multicast, reserved
 * and documentation ranges. Sources: RFC 6890 (special-purpose registries), RFC 4193 (ULA),
 * RFC 6598 (CGNAT), RFC 6052 (NAT64).
 */
import { BlockList, isIP } from "node:net";

interface Range {
  cidr: string;
  why: string;
}

const V4: Range[] = [
  { cidr: "0.0.0.0/8", why: "unspecified / this network" },
  { cidr: "10.0.0.0/8", why: "private" },
  { cidr: "100.64.0.0/10", why: "carrier-grade NAT" },
  { cidr: "127.0.0.0/8", why: "loopback" },
  { cidr: "169.254.0.0/16", why: "link-local (cloud metadata)" },
  { cidr: "172.16.0.0/12", why: "private" },
  { cidr: "192.0.0.0/24", why: "IETF protocol assignments" },
  { cidr: "192.0.2.0/24", why: "documentation" },
  { cidr: "192.88.99.0/24", why: "6to4 relay" },
  { cidr: "192.168.0.0/16", why: "private" },
  { cidr: "198.18.0.0/15", why: "benchmarking" },
  { cidr: "198.51.100.0/24", why: "documentation" },
  { cidr: "203.0.113.0/24", why: "documentation" },
  { cidr: "224.0.0.0/4", why: "multicast" },
  { cidr: "240.0.0.0/4", why: "reserved / broadcast" },
];

const V6: Range[] = [
  { cidr: "::/128", why: "unspecified" },
  { cidr: "::1/128", why: "loopback" },
  { cidr: "::/96", why: "IPv4-compatible (deprecated)" },
  { cidr: "fc00::/7", why: "unique local (private)" },
  { cidr: "fe80::/10", why: "link-local" },
  { cidr: "ff00::/8", why: "multicast" },
  { cidr: "2001:db8::/32", why: "documentation" },
  { cidr: "100::/64", why: "discard" },
];

/** Hostnames of metadata services that resolve to link-local addresses inside clouds. */
export const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

export type Family = "ipv4" | "ipv6";

/** Parses "a.b.c.d/n" or "x::y/n" (a bare address means a single host). */
export function parseCidr(text: string): { address: string; prefix: number; family: Family } | undefined {
  const [address, bits] = text.trim().split("/");
  const version = isIP(address ?? "");
  if (!version) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address: address!, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

function blockLists(ranges: Range[], family: Family): [string, BlockList][] {
  return ranges.map((r) => {
    const cidr = parseCidr(r.cidr)!;
    const list = new BlockList();
    list.addSubnet(cidr.address, cidr.prefix, family);
    return [r.why, list];
  });
}

const V4_LISTS = blockLists(V4, "ipv4");
const V6_LISTS = blockLists(V6, "ipv6");

/** Canonical (compressed, lower-case) text of an IPv6 address, as WHATWG URL parsing writes it. */
export function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** The embedded IPv4 address of an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address. */
export function embeddedIpv4(address: string): string | undefined {
  const m = /^(?:::ffff|64:ff9b:):([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonicalIpv6(address));
  if (!m) return undefined;
  const hi = Number.parseInt(m[1]!, 16);
  const lo = Number.parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `address` is forbidden (e.g. "loopback"), or undefined when it is a public address. */
export function forbiddenReason(address: string): string | undefined {
  const version = isIP(address);
  if (version === 4) {
    for (const [why, list] of V4_LISTS) if (list.check(address, "ipv4")) return why;
    return undefined;
  }
  if (version === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) {
      const inner = forbiddenReason(v4);
      return inner ? `${inner} (IPv4 embedded in IPv6)` : undefined;
    }
    for (const [why, list] of V6_LISTS) if (list.check(address, "ipv6")) return why;
    return undefined;
  }
  return "not an IP address";
}
