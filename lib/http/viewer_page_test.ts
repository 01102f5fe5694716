import { doesNotMatch, equal, match } from "node:assert/strict";
import { tokenQuery, viewerPageHtml } from "./viewer_page.ts";

Deno.test("viewer page: inline only, relative URLs, no token by default", () => {
  const html = viewerPageHtml();
  match(html, /<img id="video" src="stream\.mjpeg"/);
  match(html, /fetch\("stats\.json" \+ query/);
  doesNotMatch(html, /(src|href)="(https?:)?\/\//, "no external assets");
  doesNotMatch(html, /<link|<script src/);
  doesNotMatch(html, /token/);
});

Deno.test("viewer page: every URL carries the token, escaped for HTML and script", () => {
  const token = `a&b"</script><x>`;
  const html = viewerPageHtml({ token });
  const query = tokenQuery(token);
  equal(query, "?token=a%26b%22%3C%2Fscript%3E%3Cx%3E");
  match(html, /src="stream\.mjpeg\?token=a%26b%22%3C%2Fscript%3E%3Cx%3E"/);
  match(html, /href="frame\.jpg\?token=a%26b%22%3C%2Fscript%3E%3Cx%3E"/);
  match(html, /const query = "\?token=a%26b%22%3C%2Fscript%3E%3Cx%3E";/);
  doesNotMatch(html, /<\/script><x>/);
  equal(tokenQuery(undefined), "");
});
