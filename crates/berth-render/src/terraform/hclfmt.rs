//! HCL text from `hcl-rs` structures, laid out as `terraform fmt` leaves it.
//!
//! `hcl-rs` writes canonical indentation, spacing and blank lines between blocks but does not
//! align the `=` of consecutive attributes; `terraform fmt` (hclwrite) does. [`align`] applies
//! hclwrite's rule: a run of consecutive lines that each assign a value that closes on the same
//! line gets its `=` aligned one space after the longest key; a line that opens a bracket it
//! does not close (`tags = {`), a block header, a comment or a blank line ends the run.

use hcl::expr::{Expression, ObjectKey};
use hcl::format::Formatter;
use hcl::{Block, Body, Identifier, Object};

/// Format a body (top-level blocks separated by one blank line) as `terraform fmt` would.
pub fn to_hcl(body: &Body) -> String {
    let mut f = Formatter::builder()
        .compact_arrays(true)
        .prefer_ident_keys(true)
        .build_vec();
    // The formatter only fails on I/O errors; writing into a Vec cannot fail.
    let _ = hcl::format::Format::format(body, &mut f);
    let text = String::from_utf8(f.into_inner()).unwrap_or_default();
    align(&text)
}

/// A parsed HCL expression (e.g. `var.enable_x ? 1 : 0`). The text is Berth's own: a parse
/// failure is a bug, caught by the unit tests of every expression Berth writes.
pub fn expr(text: &str) -> Expression {
    text.parse::<Expression>()
        .unwrap_or_else(|e| panic!("berth wrote an invalid HCL expression `{text}`: {e}"))
}

/// An object; keys that are not identifiers are quoted.
pub fn object<K: Into<String>>(items: impl IntoIterator<Item = (K, Expression)>) -> Expression {
    let mut o: Object<ObjectKey, Expression> = Object::new();
    for (k, v) in items {
        let k = k.into();
        let key = if is_identifier(&k) {
            ObjectKey::Identifier(Identifier::unchecked(k))
        } else {
            ObjectKey::Expression(Expression::String(k))
        };
        o.insert(key, v);
    }
    Expression::Object(o)
}

/// A list of strings.
pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expression {
    Expression::Array(
        items
            .into_iter()
            .map(|s| Expression::String(s.as_ref().to_string()))
            .collect(),
    )
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A block with string labels.
pub fn block(ident: &str, labels: &[&str]) -> hcl::structure::BlockBuilder {
    let mut b = Block::builder(Identifier::unchecked(ident));
    for l in labels {
        b = b.add_label(*l);
    }
    b
}

/// One scanned line: where its assignment `=` is (byte offset), when it has one that hclwrite
/// would align.
fn assign_at(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    // Stack of contexts: b'"' a quoted string, b'$' an interpolation, b'{' / b'(' / b'[' brackets.
    let mut stack: Vec<u8> = Vec::new();
    let mut eq: Option<usize> = None;
    let mut net: i32 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let in_string = stack.last() == Some(&b'"');
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    if i > 0 && bytes[i - 1] == c {
                        // `$${` is an escaped marker, not an interpolation.
                    } else {
                        // b'$' marks an interpolation: its closing brace is no bracket of the line.
                        stack.push(b'$');
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => stack.push(b'"'),
            b'#' if stack.is_empty() => break,
            b'{' | b'[' | b'(' => {
                stack.push(c);
                if eq.is_some() {
                    net += 1;
                }
            }
            b'}' | b']' | b')' => {
                let closed = stack.pop();
                net -= i32::from(closed != Some(b'$') && eq.is_some());
            }
            b'=' if eq.is_none() && stack.is_empty() && i > 0 => {
                let prev = bytes[i - 1];
                let next = bytes.get(i + 1).copied();
                if !matches!(prev, b'=' | b'!' | b'<' | b'>') && !matches!(next, Some(b'=' | b'>'))
                {
                    eq = Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    match eq {
        Some(at) if net == 0 && !line[..at].trim().is_empty() => Some(at),
        _ => None,
    }
}

/// Align the `=` of consecutive single-line assignments (hclwrite's formatCells rule).
pub fn align(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let assigns: Vec<Option<usize>> = lines.iter().map(|l| assign_at(l)).collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if assigns[i].is_none() {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && assigns[i].is_some() {
            i += 1;
        }
        let width = (start..i)
            .map(|k| {
                let at = assigns[k].unwrap_or(0);
                lines[k][..at].trim_end().chars().count()
            })
            .max()
            .unwrap_or(0);
        for k in start..i {
            let at = assigns[k].unwrap_or(0);
            let lead = lines[k][..at].trim_end();
            let rest = lines[k][at + 1..].trim_start();
            let pad = width - lead.chars().count() + 1;
            out.push(format!("{lead}{}= {rest}", " ".repeat(pad)));
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_runs_and_breaks_them_at_brackets_blocks_and_blank_lines() {
        let input = "a = 1\nlong_name = \"x = y\"\ntags = {\n  k = \"v\"\n  longer = \"w\"\n}\nb = [\"=\"]\n\nc = 2\n";
        let want = "a         = 1\nlong_name = \"x = y\"\ntags = {\n  k      = \"v\"\n  longer = \"w\"\n}\nb = [\"=\"]\n\nc = 2\n";
        assert_eq!(align(input), want);
    }

    #[test]
    fn ignores_comparison_operators_and_interpolations() {
        assert_eq!(assign_at("x == y"), None);
        assert_eq!(assign_at("  a = \"${b == c ? \"=\" : \"}\"}\""), Some(4));
        assert_eq!(assign_at("# a = b"), None);
        assert_eq!(assign_at("value = [for k, v in m : k => v]"), Some(6));
    }

    #[test]
    fn expressions_parse() {
        assert!(matches!(
            expr("var.enable ? 1 : 0"),
            Expression::Conditional(_)
        ));
        assert!(matches!(
            expr("module.kms.key_arn"),
            Expression::Traversal(_)
        ));
    }
}
