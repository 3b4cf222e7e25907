//! `demo sweep`'s core: the grid and its plan, the model that explains and predicts each
//! configuration's cost and delay, the choice (strategy or p99 budget), the Pareto frontier,
//! the results file, and the table and chart that show them. Pure but for the files.
#![cfg_attr(
    not(test),
    allow(dead_code, reason = "wired by `demo sweep`, next step")
)]

pub mod assemble;
pub mod chart;
pub mod choose;
pub mod grid;
pub mod model;
pub mod pareto;
pub mod render;
pub mod results;
