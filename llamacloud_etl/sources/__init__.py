"""Sources: each API version behind one interface, in the product's nouns.

base   the :class:`Source` protocol a landing needs of an API
v1     the v1 runs API (``/api/v1/extraction``): agents, runs, offset paging
"""
