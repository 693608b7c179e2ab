// Filled in by the script-test work.
