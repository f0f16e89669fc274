"""The officers' desk (meja petugas): a small server-rendered web app over the same database.

Officers (petugas) review flagged dossiers and held mail, the eselon 4 official (pejabat)
approves or returns complete dossiers, an admin manages accounts. Every action is written
to the `events` audit trail. Start it with `sertiflow serve`.
"""


class DeskError(Exception):
    """A desk action refused; the message (Indonesian) is shown to the user as is."""
