"""Page scripts, run by st.navigation (a package only so type checkers name them apart)."""
