//! The graph diagram shows the ops, values and gradients of a real backward pass.

use ch02_autograd::diagrams::{first_gradient_graph, graph_diagram};
use ch02_autograd::first_gradient;
use chapter_kit::diagram::{check_well_formed, labels};

#[test]
fn the_graph_has_the_recorded_ops_values_and_gradients() {
    let nodes = first_gradient_graph(2.0);
    let ops: Vec<Option<&str>> = nodes.iter().map(|n| n.op).collect();
    assert_eq!(
        ops,
        [
            None,
            Some("square"),
            Some("mul_scalar"),
            Some("add_scalar"),
            Some("square")
        ]
    );
    let values: Vec<f64> = nodes.iter().map(|n| n.value).collect();
    assert_eq!(values, [2.0, 4.0, 12.0, 13.0, 169.0]);
    let grads: Vec<f64> = nodes.iter().map(|n| n.grad).collect();
    assert_eq!(grads, [312.0, 78.0, 26.0, 26.0, 1.0]);
    // The same numbers as the chapter's first gradient.
    assert_eq!((nodes[4].value, nodes[0].grad), first_gradient(2.0));
}

#[test]
fn the_graph_diagram_shows_169_and_312() {
    let svg = graph_diagram(&first_gradient_graph(2.0));
    assert_eq!(check_well_formed(&svg), Ok(()));
    let labels = labels(&svg);
    for expected in [
        "value 169",
        "∂y/∂x = 312",
        "∂y/∂y = 1",
        "mul_scalar",
        "add_scalar",
        "× 2x = 4",
        "× 2b = 26",
        "× 3",
    ] {
        assert!(
            labels.iter().any(|l| l == expected),
            "{expected} is not in {labels:?}"
        );
    }
}
