//! `demo sweep`'s core: the grid and its plan, the model that explains and predicts each
//! configuration's cost and delay, the choice (strategy or p99 budget), the Pareto frontier,
//! the results file, and the table and chart that show them. Pure but for the files.
//!
//! The command's path through it: `grid::configurations` and `grid::check_traffic` (refuse
//! before anything runs), `grid::plan` (printed; `--dry-run` stops there), then per run and
//! consumer `assemble::Measured::priced` on the counts, `assemble::assemble` (fits, predictions,
//! choice), `SweepResults::save` / `to_json` / its `Display`, `chart::write`.
//! `--from FILE` is `SweepResults::load` and the same three.

pub(crate) mod assemble;
pub(crate) mod chart;
pub(crate) mod choose;
pub(crate) mod error;
pub(crate) mod grid;
pub(crate) mod measure;
pub(crate) mod model;
pub(crate) mod pareto;
pub(crate) mod render;
pub(crate) mod results;

pub(crate) use self::error::SweepError;
