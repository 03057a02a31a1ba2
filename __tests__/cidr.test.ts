import { parseCidr, worldOpenSources } from "../constructs/cidr";

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
  ] as const)("%s is IPv%d block %s (host bits set: %s)", (text, family, network, hostBitsSet) => {
    expect(parseCidr(text)).toMatchObject({ family, network, hostBitsSet });
  });

  test.each(["203.0.113.0/33", "2001:db8::/129", "999.1.1.1/8", ":::::", "10.0.0.0/8/8", "10.0.0.0/x", "10.0.0.0/-1", "", "everyone"])(
    "%j is not a block",
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  test("notes a zone id and an unusual IPv4 spelling", () => {
    expect(parseCidr("fe80::1%eth0/64")?.zoneId).toBe("eth0");
    expect(parseCidr("127.1/8")?.unusualSpelling).toBe(true);
    expect(parseCidr("127.0.0.1/8")?.unusualSpelling).toBe(false);
    expect(parseCidr("10.0.0.0/08")?.unusualSpelling).toBe(true);
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
  ])("%j is open to the world through %j", (sources, open) => {
    expect(worldOpenSources(sources)).toEqual(open);
  });

  test.each([[["0.0.0.0/1"]], [["128.0.0.0/1", "0.0.0.0/2"]], [["203.0.113.0/24", "2001:db8::/32"]], [["::ffff:0:0/97"]], [["${var.cidr}"]], [[]]])(
    "%j is not open to the world",
    (sources) => {
      expect(worldOpenSources(sources)).toEqual([]);
    },
  );
});
