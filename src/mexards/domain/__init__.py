"""Domain layer: ids, value objects, entities, lifecycle state machines, events and errors. Stdlib only."""
