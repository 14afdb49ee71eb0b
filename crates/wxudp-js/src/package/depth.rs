//! How deeply a source nests, estimated before a parser recurses into it: oxc (the
//! TypeScript and ES module transform) recurses once per level and has no limit of its
//! own, so 100,000 `(` would overflow the native stack and abort the process. A source
//! nested deeper than [`MAX_NESTING`] is refused with `nesting too deep`, naming where.
//!
//! The estimate is linear and conservative. It is the larger of two scans: one that
//! reads every byte as code (brackets in strings and comments count too, so nothing
//! hides a bracket from it), and one that skips comments, strings, template text and
//! regular expressions as a lexer would. Both count, besides brackets, the constructs
//! that nest without brackets (`=>`, `?`, assignment, prefix operators, `typeof`, TS's
//! `<`), per bracket level; that count restarts at `;` and `,`, and at a line break
//! that does not continue an expression. Parsing then runs on a thread with a large
//! stack ([`TRANSFORM_STACK`]), far beyond what [`MAX_NESTING`] levels need.

/// The deepest nesting a module may have, as a lexer sees it: real code (minified
/// bundles included) stays far below.
pub(crate) const MAX_NESTING: usize = 1000;

/// The same for the scan that reads strings and comments as code too: higher, as
/// brackets in text never close.
const MAX_RAW_NESTING: usize = 20 * MAX_NESTING;

/// The stack of the thread that parses and transforms a module: virtual memory, only
/// what the parser touches is used.
pub(crate) const TRANSFORM_STACK: usize = 512 << 20;

/// Where a source first nests deeper than [`MAX_NESTING`]: its line and column (from 1).
pub(crate) fn too_deep(source: &str, typescript: bool) -> Option<(usize, usize)> {
    let raw = scan(source.as_bytes(), typescript, false, MAX_RAW_NESTING);
    let lexed = scan(source.as_bytes(), typescript, true, MAX_NESTING);
    let at = match (raw, lexed) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let before = &source.as_bytes()[..at.min(source.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    Some((line, col))
}

/// The byte offset where the estimated depth first passes `limit`.
fn scan(s: &[u8], typescript: bool, lex: bool, limit: usize) -> Option<usize> {
    // Per open bracket: the chain count of its level and whether it is a template's
    // `${`; `chain` is the current level's.
    let mut levels: Vec<(usize, bool)> = Vec::new();
    let mut chain = 0usize;
    let mut total = 0usize; // brackets plus every level's chain
                            // Whether the last significant byte continues an expression (a line break there
                            // does not end it), and whether a `/` there would start a regular expression.
    let mut continues = false;
    let mut regex_may_start = true;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let next = s.get(i + 1).copied().unwrap_or(0);
        if lex {
            // Comments, strings, regular expressions: skipped (to the end of the line
            // at most, except block comments and template text).
            if b == b'/' && next == b'/' {
                i = skip_to(s, i, b'\n');
                continue;
            }
            if b == b'/' && next == b'*' {
                i = find(s, i + 2, b"*/").map_or(s.len(), |e| e + 2);
                continue;
            }
            if b == b'\'' || b == b'"' || (b == b'/' && regex_may_start) {
                i = skip_quoted(s, i, b);
                continues = false;
                regex_may_start = false;
                continue;
            }
            if b == b'`' {
                i = skip_template(s, i + 1, &mut levels, &mut chain, &mut total);
                continue;
            }
        }
        let mut opened = false;
        let mut chained = false;
        match b {
            b'(' | b'[' | b'{' => {
                levels.push((chain, false));
                chain = 0;
                total += 1;
                opened = true;
            }
            b')' | b']' | b'}' => {
                if let Some((outer, template)) = levels.pop() {
                    total = total.saturating_sub(1 + chain);
                    chain = outer;
                    if template && lex {
                        // The rest of the template after `${...}` is text.
                        i = skip_template(s, i + 1, &mut levels, &mut chain, &mut total);
                        continue;
                    }
                } else {
                    total = total.saturating_sub(chain);
                    chain = 0;
                }
            }
            b';' | b',' => {
                total = total.saturating_sub(chain);
                chain = 0;
            }
            b'\n' if !continues => {
                total = total.saturating_sub(chain);
                chain = 0;
            }
            b'=' if next == b'>' => {
                chained = true;
                i += 1;
            }
            b'=' | b'!' | b'~' | b'?' | b'+' | b'-' => chained = true,
            b'<' if typescript => chained = true,
            b if b.is_ascii_alphabetic() => {
                let end = s[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric() && *c != b'_' && *c != b'$')
                    .map_or(s.len(), |p| i + p);
                let word = &s[i..end];
                chained = matches!(
                    word,
                    b"typeof" | b"void" | b"delete" | b"await" | b"new" | b"yield"
                );
                regex_may_start = chained
                    || matches!(word, b"return" | b"case" | b"do" | b"else" | b"in" | b"of");
                continues = chained;
                i = end;
                if chained {
                    chain += 1;
                    total += 1;
                    if total > limit {
                        return Some(i);
                    }
                }
                continue;
            }
            _ => {}
        }
        if chained {
            chain += 1;
            total += 1;
        }
        if total > limit {
            return Some(i);
        }
        if !b.is_ascii_whitespace() {
            continues = chained
                || opened
                || matches!(
                    b,
                    b'.' | b':' | b'&' | b'|' | b'*' | b'%' | b'^' | b'<' | b'>'
                );
            regex_may_start = continues || matches!(b, b';' | b',' | b'}');
        }
        i += 1;
    }
    None
}

/// Skips template text from `from` to its closing `` ` `` (returning the index after
/// it) or to a `${`, which opens a template level (returning the index after the `{`).
fn skip_template(
    s: &[u8],
    from: usize,
    levels: &mut Vec<(usize, bool)>,
    chain: &mut usize,
    total: &mut usize,
) -> usize {
    let mut j = from;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 2,
            b'`' => return j + 1,
            b'$' if s.get(j + 1) == Some(&b'{') => {
                levels.push((*chain, true));
                *chain = 0;
                *total += 1;
                return j + 2;
            }
            _ => j += 1,
        }
    }
    s.len()
}

/// The index of the first `needle` at or after `from`.
fn find(s: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The index of the next `byte` after `from` (or the end).
fn skip_to(s: &[u8], from: usize, byte: u8) -> usize {
    s[from..]
        .iter()
        .position(|&c| c == byte)
        .map_or(s.len(), |p| from + p)
}

/// Past a string or regular expression opened by `quote` at `from`: to its closing
/// quote (escapes and, for a regular expression, character classes respected), or to
/// the end of the line, which neither crosses.
fn skip_quoted(s: &[u8], from: usize, quote: u8) -> usize {
    let mut j = from + 1;
    let mut class = false;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 1,
            b'\n' => return j,
            b'[' if quote == b'/' => class = true,
            b']' if quote == b'/' => class = false,
            c if c == quote && !class => return j + 1,
            _ => {}
        }
        j += 1;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(open: &str, close: &str, n: usize) -> String {
        format!("const x = {}1{};\n", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn deep_brackets_and_chains_are_refused_where_they_pass_the_limit() {
        assert_eq!(too_deep(&deep("(", ")", 100_000), false), Some((1, 1010)));
        assert!(too_deep(&deep("[", "]", 5000), true).is_some());
        assert!(too_deep(&deep("{a:", "}", 5000), false).is_some());
        assert!(too_deep(&format!("f = {}1;", "a => ".repeat(5000)), false).is_some());
        assert!(too_deep(&format!("x = {}0;", "a ? 1 : ".repeat(5000)), false).is_some());
        assert!(too_deep(&format!("x = {}1;", "!".repeat(5000)), false).is_some());
        assert!(too_deep(
            &format!(
                "let a: {}number{} = [];",
                "Array<".repeat(5000),
                ">".repeat(5000)
            ),
            true
        )
        .is_some());
        // Brackets hidden in a string from the lexing scan are still seen by the other.
        let hidden = format!(
            "if (a) /'/.test(s); {}\n{}",
            "(".repeat(25_000),
            ")".repeat(25_000)
        );
        assert!(too_deep(&hidden, false).is_some());
    }

    #[test]
    fn real_code_is_far_below_the_limit() {
        assert_eq!(too_deep(&deep("(", ")", 500), false), None);
        let statements = "const a = 1\nlet b = a + 2 - 3\nfoo(a, b => b + 1);\n".repeat(20_000);
        assert_eq!(too_deep(&statements, false), None);
        let strings = "s = '((((((((((' + \"[[[[\" + `{{{{ ${a(b)} ((`; // ((((\n".repeat(300);
        assert_eq!(too_deep(&strings, false), None);
        let minified = "!function(){var a=1,b=2;return a?b:c}();".repeat(10_000);
        assert_eq!(too_deep(&minified, false), None);
    }
}
