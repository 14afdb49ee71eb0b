//! `--report FILE.html`: the flow view. One self-contained page (no network: its script
//! and style are inline) that draws the run's timeline as a sequence diagram — a lane
//! for the page, one per socket and one per peer, an arrow per datagram — from the very
//! JSON `--report FILE.json` writes, embedded as
//! `<script type="application/json" id="wxudp-run">`, so tools can read it back.

use std::path::Path;

use serde_json::Value;

/// The page, with `/*WXUDP-RUN*/` where the report goes.
const TEMPLATE: &str = include_str!("flow.html");

/// Whether a report path asks for the flow view (`.html` or `.htm`, any case).
pub(crate) fn is_html(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// The flow view of `report`.
pub(crate) fn page(report: &Value) -> String {
    TEMPLATE.replacen("/*WXUDP-RUN*/", &embed(report), 1)
}

/// `report` as JSON that may sit inside a `<script>` element: every `<`, `>` and `&`
/// (only ever inside JSON strings) written as a `\u` escape, so no `</script>` or
/// `<!--` can end or change the element, and U+2028/U+2029 escaped too.
fn embed(report: &Value) -> String {
    let text = serde_json::to_string(report).unwrap_or_else(|_| "{}".to_string());
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_report_is_embedded_whole_and_cannot_close_its_element() {
        let report = json!({ "pages": [{ "data": { "x": "</script><!-- & \u{2028}" } }] });
        let page = page(&report);
        assert!(!page.contains("</script><!--"));
        let start = page.find(r#"id="wxudp-run">"#).unwrap() + r#"id="wxudp-run">"#.len();
        let end = start + page[start..].find("</script>").unwrap();
        let back: Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn html_is_chosen_by_the_extension() {
        assert!(is_html(Path::new("run.html")));
        assert!(is_html(Path::new("RUN.HTM")));
        assert!(!is_html(Path::new("run.json")));
        assert!(!is_html(Path::new("html")));
    }
}
