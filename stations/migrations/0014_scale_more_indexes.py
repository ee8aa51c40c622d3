"""Issue 13, second round: no plain b-tree on serial and article number. Nothing looks them up by
equality (the search is a part-of match, served by the trigram indexes of 0008), and each index costs
every import's INSERT its upkeep."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0013_text_validators"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="station", name="stations_st_serial__bdb48a_idx"),
        migrations.RemoveIndex(model_name="station", name="stations_st_article_7fcb8b_idx"),
    ]
