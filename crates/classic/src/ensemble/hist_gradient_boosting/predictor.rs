//! A fitted histogram tree: the nodes the grower made, read at prediction time.

use super::binning::Binned;

/// One node. A split sends a row left when its value of `feature` is `<= threshold` (the cut
/// point of bin `bin`, so on binned rows: when its bin is `<= bin`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) feature: u32,
    pub(crate) bin: u8,
    pub(crate) threshold: f64,
    pub(crate) left: u32,
    pub(crate) right: u32,
    /// The leaf's raw contribution (already times the learning rate); 0 for a split.
    pub(crate) value: f64,
    pub(crate) leaf: bool,
}

impl Node {
    pub(crate) fn leaf(value: f64) -> Node {
        Node { feature: 0, bin: 0, threshold: 0.0, left: 0, right: 0, value, leaf: true }
    }
}

/// One tree of a histogram gradient boosting model.
#[derive(Clone, Debug, PartialEq)]
pub struct HistTree {
    pub(crate) nodes: Vec<Node>,
}

impl HistTree {
    /// Splits and leaves together.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Leaves.
    pub fn leaf_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.leaf).count()
    }

    /// Edges from the root to the deepest leaf.
    pub fn depth(&self) -> usize {
        fn walk(nodes: &[Node], at: usize) -> usize {
            let n = &nodes[at];
            if n.leaf {
                0
            } else {
                1 + walk(nodes, n.left as usize).max(walk(nodes, n.right as usize))
            }
        }
        walk(&self.nodes, 0)
    }

    /// `(feature, bin)` of every split in node order: the shape of the tree, for comparisons.
    pub fn splits(&self) -> Vec<(usize, u8)> {
        self.nodes.iter().filter(|n| !n.leaf).map(|n| (n.feature as usize, n.bin)).collect()
    }

    /// The leaf values in node order.
    pub fn leaf_values(&self) -> Vec<f64> {
        self.nodes.iter().filter(|n| n.leaf).map(|n| n.value).collect()
    }

    /// The raw contribution for one row of real values.
    #[inline]
    pub(crate) fn predict_row(&self, row: &[f64]) -> f64 {
        let mut n = &self.nodes[0];
        while !n.leaf {
            n = &self.nodes[if row[n.feature as usize] <= n.threshold { n.left } else { n.right } as usize];
        }
        n.value
    }

    /// The raw contribution for row `r` of binned data.
    #[inline]
    pub(crate) fn predict_binned(&self, binned: &Binned, r: usize) -> f64 {
        let mut n = &self.nodes[0];
        while !n.leaf {
            let bin = binned.bins[n.feature as usize * binned.rows + r];
            n = &self.nodes[if bin <= n.bin { n.left } else { n.right } as usize];
        }
        n.value
    }
}
