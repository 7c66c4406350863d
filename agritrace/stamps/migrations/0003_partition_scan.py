"""The scan log partitioned by month on PostgreSQL (agritrace/partitions.py); the model and
SQLite's table are unchanged."""

from django.db import migrations

from agritrace.partitions import partition_table, unpartition_table


class Migration(migrations.Migration):
    dependencies = [("stamps", "0002_scan_client_org")]

    operations = [
        migrations.RunPython(partition_table("stamps_scan"), unpartition_table("stamps_scan"))
    ]
