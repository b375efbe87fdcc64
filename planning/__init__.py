"""The use cases: an area's files → problem → checked plan document; the week; carry-over.

Called alike by the CLI, the service and the job workers, so a plan made from a button, a call
or a script is the same plan. ``geodata`` and ``routing`` stay libraries that know nothing of
areas, files of a municipality or of each other; this layer joins them.
"""
