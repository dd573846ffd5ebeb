"""The replication suite around the methods: dataset preparation (`prepare`), which runs feed which table
(`tables`, `plan`), running them (`pipeline`, `sweep`), and reading the records back (`report`, with `aggregate`,
`figures`, `verdict_section` and `labels`; `verdict`).

Top floor (contracts.md v5): may import `common`, `pretrain` and `downstream`; runs the runners as processes, so in
practice it imports `common.records` and the data readers only. Nothing imports it."""
