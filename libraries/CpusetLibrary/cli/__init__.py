"""The console commands the distribution installs: ``nricpuset-gate`` (the release gate),
``nricpuset-fleet`` (one procedure on many nodes with pabot) and ``nricpuset-cleanup`` (the
namespaces a killed run left behind). ``nrisim`` is the simulator's own (``nrisim.cli``)."""
