"""The live state: read each managed kind over the Vault API into the desired state's shape.

`read_view` lists mounts, auth methods and audit devices once; `read_objects` reads the
objects a run names; `list_live` finds the rest (reported as unmanaged).
"""
