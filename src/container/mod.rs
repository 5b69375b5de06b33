//! The in-container tool: the commands behind the `container` binary.
