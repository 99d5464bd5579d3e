//! [`RowProblem`]: why a row may not be sent, the vocabulary of every row check (the API's rules, the membership
//! columns, the pool's schema). A leaf of `input`: it imports nothing of it.

/// Why a row may not be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowProblem {
    /// The column at fault (header name), if one is.
    pub(crate) column: Option<String>,
    pub(crate) reason: String,
}

impl RowProblem {
    /// Every problem of a row as one (the first one's column; the others follow in its reason), so that a
    /// person fixes the row in one go; `None` when there are none.
    pub(crate) fn all(problems: Vec<RowProblem>) -> Option<RowProblem> {
        let mut problems = problems.into_iter();
        let mut first = problems.next()?;
        for other in problems {
            first.reason.push_str("; ");
            first.reason.push_str(&other.to_string());
        }
        Some(first)
    }

    pub(crate) fn new(column: Option<&str>, reason: impl Into<String>) -> Self {
        RowProblem {
            column: column.map(str::to_string),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "column `{column}`: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}
