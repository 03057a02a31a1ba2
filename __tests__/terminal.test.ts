import { printable } from "../helpers/terminal";

describe("printable", () => {
  test("escapes ESC sequences that retitle the window or clear the screen", () => {
    expect(printable("\x1b]0;owned\x07a\x1b[2J")).toBe("\\x1b]0;owned\\x07a\\x1b[2J");
  });

  test("escapes C1 controls, DEL, newlines and bidi overrides", () => {
    expect(printable("a\x9bb\x7fc\nd\u202ee\u2028")).toBe("a\\x9bb\\x7fc\\x0ad\\u202ee\\u2028");
  });

  test("a format character above U+00FF is written with four hex digits", () => {
    expect(printable("a\u061cb\ufeff")).toBe("a\\u061cb\\ufeff");
  });

  test("leaves printable text, spaces and non-ASCII letters alone", () => {
    expect(printable("nats-1 ok: 3 routes, état 100 %")).toBe("nats-1 ok: 3 routes, état 100 %");
  });
});
