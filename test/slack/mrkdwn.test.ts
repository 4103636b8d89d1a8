import { describe, expect, it, vi } from "vitest";
import {
  BACKTICK_STANDIN,
  code,
  EMPTY_CODE,
  escapeAndTruncate,
  escapeInline,
  escapeMrkdwn,
  inline,
  isoSeconds,
  prose,
  slackDate,
  truncate,
  truncateEscaped,
  userMention,
} from "../../src/slack/mrkdwn.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An `&` that does not start one of the three entities we produce. */
const BROKEN_ENTITY = /&(?!(?:amp|lt|gt);)/;

describe("escapeMrkdwn", () => {
  it("escapes &, < and > (ampersand first, so entities are not double-decoded)", () => {
    expect(escapeMrkdwn("a & b < c > d")).toBe("a &amp; b &lt; c &gt; d");
    expect(escapeMrkdwn("&lt;")).toBe("&amp;lt;");
  });

  it("neutralises mentions and disguised links", () => {
    expect(escapeMrkdwn("<!channel>")).toBe("&lt;!channel&gt;");
    expect(escapeMrkdwn("<@U123>")).toBe("&lt;@U123&gt;");
    expect(escapeMrkdwn("<https://evil|AWS Console>")).toBe("&lt;https://evil|AWS Console&gt;");
  });

  it("keeps newlines (multi-line text) and leaves other characters alone", () => {
    expect(escapeMrkdwn("a\nb *c* _d_")).toBe("a\nb *c* _d_");
  });
});

describe("escapeInline", () => {
  it("turns line breaks and tabs into spaces", () => {
    expect(escapeInline("a\nb\r\nc\td\u2028e")).toBe("a b  c d e");
  });

  it("replaces control, bidi and zero-width characters with a visible marker", () => {
    const out = escapeInline("ad\u0000min\u202Egnp.exe\u200Bx\u007F");
    expect(out).toBe("ad\uFFFDmin\uFFFDgnp.exe\uFFFDx\uFFFD");
  });

  it("escapes after sanitising", () => {
    expect(escapeInline("<!here>\n<!channel>")).toBe("&lt;!here&gt; &lt;!channel&gt;");
  });
});

describe("truncate", () => {
  it("returns short strings unchanged", () => {
    expect(truncate("abc", 3)).toBe("abc");
    expect(truncate("", 3)).toBe("");
  });

  it("ends with … and counts it within max", () => {
    const out = truncate("abcdefghij", 5);
    expect(out).toBe("abcd…");
    expect(out.length).toBe(5);
    expect(truncate("abc", 1)).toBe("…");
    expect(truncate("abc", 0)).toBe("");
  });

  it("never splits a surrogate pair", () => {
    const s = "ab😀cd"; // 😀 is two UTF-16 code units at indexes 2-3
    for (let max = 1; max <= s.length; max++) {
      const out = truncate(s, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(LONE_SURROGATE);
    }
    expect(truncate(s, 4)).toBe("ab…");
  });
});

describe("truncateEscaped / escapeAndTruncate / inline", () => {
  it("never cuts an entity in half, at any length", () => {
    const escaped = escapeMrkdwn("<<a&&b>>c&d<e>");
    for (let max = 0; max <= escaped.length + 2; max++) {
      const out = truncateEscaped(escaped, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(BROKEN_ENTITY);
      if (out !== escaped && max > 0) expect(out.endsWith("…")).toBe(true);
    }
  });

  it("escapes before truncating", () => {
    expect(escapeAndTruncate("<!channel> hello", 8)).toBe("&lt;!ch…");
    expect(escapeAndTruncate("<!channel> hello", 6)).toBe("&lt;!…");
    expect(escapeAndTruncate("<!channel> hello", 4)).toBe("…"); // "&lt" would be a broken entity
    expect(escapeAndTruncate("&&&&", 100)).toBe("&amp;&amp;&amp;&amp;");
  });

  it("inline makes a value single-line, escaped and bounded", () => {
    const out = inline("<x>\n".repeat(100), 50);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out).not.toContain("\n");
    expect(out).not.toContain("<");
    expect(out.endsWith("…")).toBe(true);
  });
});

describe("prose", () => {
  it("keeps balanced code formatting", () => {
    expect(prose("run `aws iam get-role` & check", 100)).toBe("run `aws iam get-role` &amp; check");
  });

  it("neutralises unbalanced backticks, including a code span cut by truncation", () => {
    expect(prose("a ``` b", 100)).toBe(`a ${BACKTICK_STANDIN.repeat(3)} b`);
    const out = prose("see `" + "x".repeat(100) + "`", 20);
    expect(out).not.toContain("`");
    expect(out.endsWith("…")).toBe(true);
  });

  it("does bounded work on huge input: no escaping pass ever sees more than the kept prefix", () => {
    // Counted, not timed: every String.prototype.replace call records the length of the string it scans.
    const scanned: number[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .apply(this, …)
    const original = String.prototype.replace;
    const spy = vi.spyOn(String.prototype, "replace").mockImplementation(function (this: string, ...args: unknown[]) {
      scanned.push(this.length);
      return (original as (...a: unknown[]) => string).apply(this, args);
    });
    try {
      prose("<&`".repeat(100_000), 300);
    } finally {
      spy.mockRestore();
    }
    expect(scanned.length).toBeGreaterThan(0);
    expect(Math.max(...scanned)).toBeLessThanOrEqual(301 * "&amp;".length);
  });
});

describe("code", () => {
  it("wraps a value in backticks, escaped", () => {
    expect(code("DeleteRole")).toBe("`DeleteRole`");
    expect(code("<!channel>")).toBe("`&lt;!channel&gt;`");
  });

  it("cannot be broken out of with backticks", () => {
    const out = code("x` <!here> ```y");
    expect(out.match(/`/g)).toHaveLength(2);
    expect(out).toContain(BACKTICK_STANDIN);
    expect(out).toBe(`\`x${BACKTICK_STANDIN} &lt;!here&gt; ${BACKTICK_STANDIN.repeat(3)}y\``);
  });

  it("is single-line and bounded including the backticks", () => {
    const out = code("a\nb&".repeat(1000), 30);
    expect(out.length).toBeLessThanOrEqual(30);
    expect(out).toMatch(/^`[^`\n]*…`$/);
    expect(out).not.toMatch(BROKEN_ENTITY);
  });

  it("renders empty values visibly", () => {
    expect(code("")).toBe(EMPTY_CODE);
  });
});

describe("slackDate", () => {
  const d = new Date("2024-05-01T12:34:56.789Z");

  it("uses Slack date formatting with an ISO fallback", () => {
    expect(slackDate(d)).toBe("<!date^1714566896^{date_short_pretty} {time_secs}|2024-05-01T12:34:56Z>");
    expect(isoSeconds(d)).toBe("2024-05-01T12:34:56Z");
  });

  it("escapes a custom fallback", () => {
    expect(slackDate(d, "<!channel> soon")).toBe(
      "<!date^1714566896^{date_short_pretty} {time_secs}|&lt;!channel&gt; soon>",
    );
  });

  it("renders an invalid date as plain text", () => {
    expect(slackDate(new Date(Number.NaN))).toBe("unknown time");
    expect(slackDate(new Date(Number.NaN), "<x>")).toBe("&lt;x&gt;");
  });
});

describe("userMention", () => {
  it("mentions well-formed user ids", () => {
    expect(userMention("U0123ABC")).toBe("<@U0123ABC>");
    expect(userMention("W9ZZ")).toBe("<@W9ZZ>");
  });

  it("renders anything else as escaped text", () => {
    expect(userMention("!channel")).toBe("!channel");
    expect(userMention("<!channel>")).toBe("&lt;!channel&gt;");
    expect(userMention("U123>|x")).toBe("U123&gt;|x");
    expect(userMention("u123")).toBe("u123");
    expect(userMention("C123")).toBe("C123");
    expect(userMention("U" + "A".repeat(500)).length).toBeLessThanOrEqual(64);
  });
});
