// Checking a receipt of a secret vote happens here, in the browser: the page downloads the published
// (receipt, choice) list, the same for everyone, and looks for the code in it. The server never learns
// which code someone checked, and no code travels in a URL (docs/voting.md, "What each can learn").
// Pure functions, no DOM: tests/voting/test_receipt_check.py runs them in Node against the server's rules.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LENGTH = 16;
const LOOKALIKE = { O: "0", I: "1", L: "1" };

// A code as a person types it ("7qk2 m9xd-4pta h3nb", O for 0, I or L for 1), or null if it is not one:
// the mirror of meetings/voting/secrecy.py normalize_receipt.
export function normalizeReceipt(text) {
  const raw = [...String(text).toUpperCase()]
    .filter((ch) => !" -\t".includes(ch))
    .map((ch) => LOOKALIKE[ch] || ch)
    .join("");
  if (raw.length !== LENGTH || [...raw].some((ch) => !ALPHABET.includes(ch))) return null;
  return raw.match(/.{4}/g).join("-");
}

// {code, row} with the published row for the typed code (row null: not in the list), or null when what
// was typed is not a receipt code.
export function findReceipt(rows, typed) {
  const code = normalizeReceipt(typed);
  if (code === null) return null;
  return { code, row: rows.find((r) => r.receipt === code) || null };
}
