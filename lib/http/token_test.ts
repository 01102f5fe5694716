import { equal } from "node:assert/strict";
import { tokenMatches, validateHttpToken } from "./token.ts";

Deno.test("tokenMatches compares whole strings", () => {
  const table: [string | null, string, boolean][] = [
    ["s3cret", "s3cret", true],
    ["s3cre", "s3cret", false],
    ["s3cret!", "s3cret", false],
    ["S3cret", "s3cret", false],
    ["", "s3cret", false],
    [null, "s3cret", false],
    ["\0\0", "", false],
    ["é", "é", true],
    ["é", "e\u0301", false],
  ];
  for (const [given, expected, result] of table) {
    equal(tokenMatches(given, expected), result, `${given} vs ${expected}`);
  }
});

Deno.test("validateHttpToken explains unusable tokens", () => {
  equal(validateHttpToken("abc-DEF_123.~"), null);
  equal(validateHttpToken(""), "the token is empty");
  equal(validateHttpToken("a b"), "the token must be printable ASCII without spaces");
  equal(validateHttpToken("x".repeat(257)), "the token is longer than 256 characters");
});
