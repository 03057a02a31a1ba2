import { parseCidr, worldOpenSources } from "../helpers/cidr";

describe("parseCidr", () => {
  test.each([
    ["203.0.113.0/24", 4, "203.0.113.0/24", false],
    ["203.0.113.5", 4, "203.0.113.5/32", false],
    ["203.0.113.5/24", 4, "203.0.113.0/24", true],
    ["2001:db8::/32", 6, "2001:db8::/32", false],
    ["2001:db8::1/32", 6, "2001:db8::/32", true],
    ["::0/0", 6, "::/0", false],
    ["::ffff:203.0.113.0/120", 4, "203.0.113.0/24", false],
    ["::ffff:0:0/96", 4, "0.0.0.0/0", false],
    // The deprecated IPv4-compatible spelling is ::/96 with the IPv4 address in the last 32 bits, not IPv4-mapped.
    ["::0.0.0.0/96", 6, "::/96", false],
    ["::203.0.113.1", 6, "::cb00:7101/128", false],
  ] as const)("%s is IPv%d block %s (host bits set: %s)", (text, family, network, hostBitsSet) => {
    expect(parseCidr(text)).toMatchObject({ family, network, hostBitsSet });
  });

  test.each(["203.0.113.0/33", "2001:db8::/129", "999.1.1.1/8", ":::::", "10.0.0.0/8/8", "10.0.0.0/x", "10.0.0.0/-1", "", "everyone"])(
    "%j is not a block",
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  test("notes the unspecified address written without a prefix length, and only that", () => {
    expect(["0.0.0.0", "::", "0:0::0", "::ffff:0.0.0.0"].map((text) => parseCidr(text)?.bareUnspecified)).toEqual([true, true, true, true]);
    expect(["0.0.0.0/32", "::/128", "0.0.0.0/0", "::1", "10.0.0.0"].map((text) => parseCidr(text)?.bareUnspecified)).toEqual([false, false, false, false, false]);
  });

  test("notes a zone id and an unusual IPv4 spelling", () => {
    expect(parseCidr("fe80::1%eth0/64")?.zoneId).toBe("eth0");
    expect(parseCidr("127.1/8")?.unusualSpelling).toBe(true);
    expect(parseCidr("127.0.0.1/8")?.unusualSpelling).toBe(false);
    expect(parseCidr("10.0.0.0/08")?.unusualSpelling).toBe(true);
    // A prefix with a zero inside is spelled the usual way.
    expect(parseCidr("2001:db8::/100")?.unusualSpelling).toBe(false);
  });

  test("surrounding blanks are ignored", () => {
    expect(parseCidr(" 10.0.0.0/8 ")?.network).toBe("10.0.0.0/8");
  });

  test.each([
    ["::10.20.30.40/128", "::a14:1e28/128"],
    ["::1.22.3.4/128", "::116:304/128"],
    ["::1.2.3.44/128", "::102:32c/128"],
  ])("the IPv4-compatible %s is IPv6, with the IPv4 address in its last 32 bits (RFC 4291), not IPv4-mapped", (text, network) => {
    expect(parseCidr(text)).toMatchObject({ family: 6, network });
  });

  test("an IPv4-compatible address keeps its zone; an embedded IPv4 address after other groups is read as written", () => {
    expect(parseCidr("::1.2.3.4%eth0")).toMatchObject({ family: 6, zoneId: "eth0", network: "::102:304/128" });
    expect(parseCidr("a::1.2.3.4")).toMatchObject({ family: 6, network: "a::102:304/128" });
  });

  test("only an IPv4-mapped address becomes IPv4; other IPv6 blocks of /96 or longer stay IPv6", () => {
    expect(parseCidr("::ffff:10.0.0.0/104")).toMatchObject({ family: 4, network: "10.0.0.0/8" });
    expect(parseCidr("2001:db8::1/128")).toMatchObject({ family: 6, network: "2001:db8::1/128" });
    expect(parseCidr("2001:db8::/96")).toMatchObject({ family: 6, network: "2001:db8::/96" });
  });
});

describe("worldOpenSources", () => {
  test.each([
    [["0.0.0.0/0"], ["0.0.0.0/0"]],
    [["::/0"], ["::/0"]],
    [["::0/0"], ["::0/0"]],
    [["0:0::/0"], ["0:0::/0"]],
    [["0:0:0:0:0:0:0:0/0"], ["0:0:0:0:0:0:0:0/0"]],
    [["1.2.3.4/0"], ["1.2.3.4/0"]],
    [["2001:db8::/0"], ["2001:db8::/0"]],
    [["::ffff:0:0/96"], ["::ffff:0:0/96"]],
    [["::ffff:0.0.0.0/96"], ["::ffff:0.0.0.0/96"]],
    [["0/0"], ["0/0"]],
    [["203.0.113.0/24", "0.0.0.0/1", "128.0.0.0/1"], ["203.0.113.0/24", "0.0.0.0/1", "128.0.0.0/1"]],
    [["10.0.0.0/8", "not an address"], ["not an address"]],
    // Every globally reachable unicast address of a family is the whole internet (NOT_THE_INTERNET).
    [["2000::/3"], ["2000::/3"]],
    [["2000::/4", "3000::/4", "fd00::/8"], ["2000::/4", "3000::/4", "fd00::/8"]],
    [["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"], ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"]],
    [["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/3"], ["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/3"]],
    [["203.0.113.0/24", "2000::/3"], ["2000::/3"]],
    // A bare unspecified address cannot be judged: DigitalOcean may read it as anywhere.
    [["0.0.0.0"], ["0.0.0.0"]],
    [["::"], ["::"]],
  ])("%j is open to the world through %j", (sources, open) => {
    expect(worldOpenSources(sources)).toEqual(open);
  });

  test.each([
    [["0.0.0.0/1"]],
    [["128.0.0.0/1", "0.0.0.0/2"]],
    [["203.0.113.0/24", "2001:db8::/32"]],
    [["::ffff:0:0/97"]],
    [["${var.cidr}"]],
    [[]],
    // ::/96, not IPv4's 0.0.0.0/0.
    [["::0.0.0.0/96"]],
    // One global address short of the whole internet is not the whole internet.
    [["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/4", "208.0.0.0/5", "216.0.0.0/6", "220.0.0.0/7", "222.0.0.0/8", "223.0.0.0/9", "223.128.0.0/10", "223.192.0.0/11", "223.224.0.0/12", "223.240.0.0/13", "223.248.0.0/14", "223.252.0.0/15", "223.254.0.0/16", "223.255.0.0/17", "223.255.128.0/18", "223.255.192.0/19", "223.255.224.0/20", "223.255.240.0/21", "223.255.248.0/22", "223.255.252.0/23", "223.255.254.0/24", "223.255.255.0/25", "223.255.255.128/26", "223.255.255.192/27", "223.255.255.224/28", "223.255.255.240/29", "223.255.255.248/30", "223.255.255.252/31", "223.255.255.254/32"]],
    // Global unicast but for 2a00::/7: not the whole IPv6 internet.
    [["2000::/5", "2800::/7", "2c00::/6", "3000::/4"]],
    // IPv4 unicast without 192.0.0.9/32, which the registry marks globally reachable inside 192.0.0.0/24.
    [["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/29", "192.0.0.10/31", "192.0.0.12/30", "192.0.0.16/28", "192.0.0.32/27", "192.0.0.64/26", "192.0.0.128/25", "192.0.1.0/24", "192.0.2.0/23", "192.0.4.0/22", "192.0.8.0/21", "192.0.16.0/20", "192.0.32.0/19", "192.0.64.0/18", "192.0.128.0/17", "192.1.0.0/16", "192.2.0.0/15", "192.4.0.0/14", "192.8.0.0/13", "192.16.0.0/12", "192.32.0.0/11", "192.64.0.0/10", "192.128.0.0/9", "193.0.0.0/8", "194.0.0.0/7", "196.0.0.0/6", "200.0.0.0/5", "208.0.0.0/4"]],
  ])(
    "%j is not open to the world",
    (sources) => {
      expect(worldOpenSources(sources)).toEqual([]);
    },
  );
});

test("blocks given in any order are merged before they are compared with the internet", () => {
  const halves = ["192.0.0.0/2", "128.0.0.0/2", "0.0.0.0/1"];
  expect(worldOpenSources(halves)).toEqual(halves);
  expect(worldOpenSources(["192.0.0.0/2", "0.0.0.0/1"])).toEqual([]);
});
