"""The door: check-ins, walk-ins, the crowd counter, door links, counts, who may use the door."""
