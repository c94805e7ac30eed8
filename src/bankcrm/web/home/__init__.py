"""The workbench's home page: what the signed-in role can reach, and the language switch."""
