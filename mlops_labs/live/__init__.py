"""Live mode: the scenarios against real accounts, every resource they make recorded and removed."""
