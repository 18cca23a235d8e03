"""The time-series tools' files: interferogram stacks as LOS mm blocks (stacks, stack_reference: the stack reader of
every stack tool), the SBAS outputs (timeseries), the multi-sensor east/up series (each stack's files, datum and
products, the output grid)."""
