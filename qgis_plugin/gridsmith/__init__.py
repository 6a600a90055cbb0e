"""gridsmith for QGIS: the Processing provider of the gridsmith command.

QGIS calls classFactory() to load the plugin; its Processing provider
(provider.py) offers validate, partition, patrol, hotspots and the weekly
job as algorithms, which run the installed gridsmith command (runner.py).
"""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import GridsmithPlugin
    return GridsmithPlugin(iface)
