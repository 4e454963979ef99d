//! tq-common: the one shared library of the tq-connectors (see design.md §3).
