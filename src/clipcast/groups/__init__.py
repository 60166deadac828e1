"""Share groups: named sets of users an owner shares videos with."""
