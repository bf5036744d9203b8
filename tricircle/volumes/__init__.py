"""The volume surface's domain: where volumes, snapshots and backups go (next to
what they use), the Cinder collections listed across pods, volume types defined
at the top, and the checks the compute surface makes for attachments."""
