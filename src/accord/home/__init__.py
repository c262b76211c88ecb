"""What waits for each person: the home page's counts, gathered from the capabilities."""
