"""The lab code learners read and complete: one module per lab, plus what they share."""
