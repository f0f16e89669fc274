"""Sertiflow: mail in, checked dossiers, documents and mail out.

The path of one email follows the subpackages in order:
mail -> classify -> read -> check -> decide -> write -> send.
"""
