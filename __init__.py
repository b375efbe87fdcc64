"""Basura Cero: waste-collection routes on real streets, truck tracking and public coverage maps.

The installed distribution exposes this one namespace (``basuracero.geodata``,
``basuracero.routing``, ``basuracero.fleet``, ``basuracero.maps``, ``basuracero.cli``,
``basuracero.api``, ``basuracero.service``) so that nothing collides with a municipality's other
Python software; the repository keeps those folders at its top level.
"""

__version__ = "0.1.0"
