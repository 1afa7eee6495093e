//! Dependency cycles across `uses` and `before` edges.

use super::cx::{at, Cx};
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::spec::WorkloadKind;

/// An edge `from → to` ("from waits for to") and where it was written.
struct Edge {
    to: usize,
    span: Span,
    before: bool,
}

pub fn check_cycles(cx: &mut Cx) {
    let services = &cx.spec.services;
    let n = services.len();
    let mut edges: Vec<Vec<Edge>> = (0..n).map(|_| Vec::new()).collect();
    for (i, (_, svc)) in services.iter().enumerate() {
        for u in &svc.uses {
            if let Some(j) = services.get_index_of(u.value.as_str()) {
                if j != i {
                    edges[i].push(Edge {
                        to: j,
                        span: u.span,
                        before: false,
                    });
                }
            }
        }
        if svc.kind() == WorkloadKind::Job {
            for b in &svc.before {
                if let Some(j) = services.get_index_of(b.value.as_str()) {
                    if j != i {
                        // `job before: [s]` means s waits for job.
                        edges[j].push(Edge {
                            to: i,
                            span: b.span,
                            before: true,
                        });
                    }
                }
            }
        }
    }
    // Iterative DFS (no recursion depth limit on large specs); each back edge is one cycle.
    let mut color = vec![0u8; n];
    for root in 0..n {
        if color[root] != 0 {
            continue;
        }
        color[root] = 1;
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(top) = stack.last_mut() {
            let (v, i) = *top;
            if i == edges[v].len() {
                color[v] = 2;
                stack.pop();
                continue;
            }
            top.1 += 1;
            let w = edges[v][i].to;
            match color[w] {
                0 => {
                    color[w] = 1;
                    stack.push((w, 0));
                }
                1 => {
                    let pos = stack.iter().position(|(x, _)| *x == w).unwrap_or(0);
                    let cycle: Vec<(usize, usize)> = stack[pos..].to_vec();
                    report(cx, &edges, &cycle);
                }
                _ => {}
            }
        }
    }
}

/// `cycle` holds (node, next edge index + 1) from the re-entered node to the current one.
fn report(cx: &mut Cx, edges: &[Vec<Edge>], cycle: &[(usize, usize)]) {
    let services = &cx.spec.services;
    let name = |i: usize| services.get_index(i).map_or("?", |(k, _)| k.value.as_str());
    let mut path: Vec<&str> = cycle.iter().map(|(v, _)| name(*v)).collect();
    path.push(name(cycle[0].0));
    let first = &edges[cycle[0].0][cycle[0].1 - 1];
    let mut d = Diagnostic::error(
        "B1201",
        first.span,
        format!("dependency cycle: {}", path.join(" -> ")),
    );
    for (v, i) in cycle {
        let e = &edges[*v][*i - 1];
        let how = if e.before {
            format!("`{}` runs before `{}`", name(e.to), name(*v))
        } else {
            format!("`{}` uses `{}`", name(*v), name(e.to))
        };
        d = d.note(format!("{how} ({})", at(e.span)));
    }
    cx.push(d.help("break the cycle: remove one of these `uses`/`before` entries"));
}
