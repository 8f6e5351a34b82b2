import { describe, expect, it, vi } from "vitest";
import { createSsrfGuard, type Resolver } from "./guard.ts";
import { embeddedIpv4, forbiddenReason } from "./ranges.ts";

/** A stub DNS: no lookup ever leaves the process. */
function stubResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = (async (host: string) => {
    calls.push(host);
    const list = table[host];
    if (!list) throw new Error(`ENOTFOUND ${host}`);
    return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }) as const);
  }) as Resolver & { calls: string[] };
  fn.calls = calls;
  return fn;
}

const strict = { allowHosts: [], allowCidrs: [], allowHttp: false };

describe("forbiddenReason", () => {
  it.each([
    ["169.254.169.254", /link-local/],
    ["10.0.0.1", /private/],
    ["172.20.1.1", /private/],
    ["192.168.1.10", /private/],
    ["127.0.0.1", /loopback/],
    ["0.0.0.0", /unspecified/],
    ["100.64.0.1", /carrier-grade/],
    ["224.0.0.1", /multicast/],
    ["::1", /loopback/],
    ["::", /unspecified/],
    ["fe80::1", /link-local/],
    ["fd00:ec2::254", /unique local/],
    ["::ffff:169.254.169.254", /link-local.*embedded/],
    ["::ffff:a00:1", /private.*embedded/],
    ["64:ff9b::10.0.0.1", /private.*embedded/],
  ])("%s is forbidden", (address, why) => {
    expect(forbiddenReason(address)).toMatch(why);
  });

  it.each(["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("%s is public", (a) => {
    expect(forbiddenReason(a)).toBeUndefined();
  });

  it("reads IPv4 out of mapped and NAT64 addresses", () => {
    expect(embeddedIpv4("::ffff:169.254.169.254")).toBe("169.254.169.254");
    expect(embeddedIpv4("0:0:0:0:0:ffff:a9fe:a9fe")).toBe("169.254.169.254");
    expect(embeddedIpv4("64:ff9b::a00:1")).toBe("10.0.0.1");
    expect(embeddedIpv4("2001:db8::1")).toBeUndefined();
  });
});

describe("SSRF guard (stubbed resolver: nothing leaves the process)", () => {
  const resolver = stubResolver({
    "metadata.evil.test": ["169.254.169.254"],
    "intranet.evil.test": ["10.0.0.1"],
    "six.evil.test": ["::1"],
    "mixed.evil.test": ["93.184.215.14", "10.0.0.1"],
    "partner.example": ["93.184.215.14"],
    localhost: ["127.0.0.1", "::1"],
  });
  const guard = createSsrfGuard(strict, resolver);

  it.each([
    [
      "https://metadata.evil.test/hook",
      /resolves to 169\.254\.169\.254 \(link-local \(cloud metadata\)\): refused before connecting/,
    ],
    ["https://intranet.evil.test/hook", /resolves to 10\.0\.0\.1 \(private\)/],
    ["https://six.evil.test/hook", /resolves to ::1 \(loopback\)/],
    ["https://mixed.evil.test/hook", /resolves to 10\.0\.0\.1/],
    ["https://169.254.169.254/latest/meta-data", /is 169\.254\.169\.254/],
    ["https://[::1]:8443/x", /is ::1 \(loopback\)/],
    ["https://[::ffff:10.0.0.1]/x", /private \(IPv4 embedded/],
    ["https://metadata.google.internal/", /cloud metadata service/],
  ])("refuses %s with a clear error", async (url, message) => {
    const err = await guard.vet(url).catch((e) => e);
    expect(err.code).toBe("VERDICT_ERR_WEBHOOK_SSRF");
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/VERDICT_WEBHOOK_ALLOW_HOSTS/);
  });

  it("returns the vetted addresses of a public host", async () => {
    const target = await guard.vet("https://partner.example/hooks");
    expect(target.addresses).toEqual([{ address: "93.184.215.14", family: 4 }]);
  });

  it("refuses plain http and URL credentials unless allowed", async () => {
    await expect(guard.vet("http://partner.example/")).rejects.toThrow(/use https/);
    await expect(guard.vet("https://u:p@partner.example/")).rejects.toThrow(/credentials/);
    await expect(guard.vet("not a url")).rejects.toThrow(/not a valid absolute URL/);
  });

  it("allowlists by host name or by CIDR", async () => {
    const byHost = createSsrfGuard({ ...strict, allowHttp: true, allowHosts: ["localhost"] }, resolver);
    expect((await byHost.vet("http://localhost:8080/")).addresses).toHaveLength(2);
    const byCidr = createSsrfGuard({ ...strict, allowCidrs: ["127.0.0.0/8", "::1/128"] }, resolver);
    expect((await byCidr.vet("https://127.0.0.1:9/")).addresses[0]!.address).toBe("127.0.0.1");
    expect((await byCidr.vet("https://six.evil.test/")).addresses[0]!.address).toBe("::1");
    await expect(byCidr.vet("https://intranet.evil.test/")).rejects.toThrow(/10\.0\.0\.1/);
    expect(() => createSsrfGuard({ ...strict, allowCidrs: ["nope"] }, resolver)).toThrow(/not a CIDR/);
  });

  it("a DNS failure is retriable, not an SSRF refusal", async () => {
    const err = await guard.vet("https://unknown.example/").catch((e) => e);
    expect(err.code).toBe("VERDICT_ERR_WEBHOOK_DELIVERY");
    expect(err.retriable).toBe(true);
  });

  it("decides before any connection: the refusal needs only the resolver", async () => {
    const connect = vi.fn();
    await guard.vet("https://metadata.evil.test/").then(connect, () => undefined);
    expect(connect).not.toHaveBeenCalled();
  });
});
