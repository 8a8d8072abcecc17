"""Release: disclosure control, the only route from a computed number to anything shown or
exported. ``present`` takes counts from here and from nowhere else."""
