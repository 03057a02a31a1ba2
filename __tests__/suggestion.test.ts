import { closest, suggestion } from "../helpers/suggestion";

describe("closest", () => {
  test("the nearest candidate within 2 edits, ignoring case and underscores", () => {
    expect(closest("nats-tutorail", ["nats", "nats-tutorial"])).toBe("nats-tutorial");
    expect(closest("NATS_NODECOUNT", ["NATS_NODE_COUNT", "NATS_REGION"])).toBe("NATS_NODE_COUNT");
    expect(closest("natz", ["nats", "nats-tutorial"])).toBe("nats");
    expect(closest("ab", ["xy"])).toBe("xy");
  });

  test("the first of equally near candidates", () => {
    expect(closest("nat", ["nas", "nab"])).toBe("nas");
  });

  test("beyond 2 edits, a quarter of the typed letters (rounded down)", () => {
    expect(closest("abc", ["xyz"])).toBeUndefined();
    // 12 letters: 3 edits allowed.
    expect(closest("abcdefghijkl", ["abcdefghixyz"])).toBe("abcdefghixyz");
    expect(closest("abcdefghijkl", ["abcdefghwxyz"])).toBeUndefined();
    // 15 letters: still 3.
    expect(closest("abcdefghijklmno", ["abcdefghijklxyz"])).toBe("abcdefghijklxyz");
    expect(closest("abcdefghijklmno", ["abcdefghijkwxyz"])).toBeUndefined();
    // Underscores are not letters here: 8 letters, 2 edits.
    expect(closest("a_b_c_d_e_f_g_h", ["abcdefxy"])).toBe("abcdefxy");
    expect(closest("a_b_c_d_e_f_g_h", ["abcdewxy"])).toBeUndefined();
  });

  test("no candidates, no suggestion", () => {
    expect(closest("nats", [])).toBeUndefined();
  });
});

describe("suggestion", () => {
  test("did you mean the close one, else every candidate, or what is expected when given", () => {
    expect(suggestion("nats-tutorail", ["nats", "nats-tutorial"])).toBe("did you mean nats-tutorial?");
    expect(suggestion("edge", ["nats", "nats-tutorial"])).toBe("expected one of nats, nats-tutorial");
    expect(suggestion("edge", ["nats", "nats-tutorial"], ["a stack name"])).toBe("expected one of a stack name");
  });
});
