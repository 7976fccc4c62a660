//! Capture input (stub replaced below).
