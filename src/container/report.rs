//! The examine report as data, shared by the text and JSON renderings.
