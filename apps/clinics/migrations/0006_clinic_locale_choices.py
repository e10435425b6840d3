"""Clinic.locale limited to apps/clinics/locales.py (choices live in the state only: no SQL, no lock)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0005_clinic_legal_details'),
    ]

    operations = [
        migrations.AlterField(
            model_name='clinic',
            name='locale',
            field=models.CharField(blank=True, choices=[('en-US', 'English (United States)'), ('en-GB', 'English (United Kingdom)'), ('en-IE', 'English (Ireland)'), ('de-DE', 'German (Germany)'), ('de-AT', 'German (Austria)'), ('de-CH', 'German (Switzerland)'), ('fr-FR', 'French (France)'), ('fr-CH', 'French (Switzerland)'), ('it-IT', 'Italian (Italy)'), ('es-ES', 'Spanish (Spain)'), ('nl-NL', 'Dutch (Netherlands)'), ('pl-PL', 'Polish (Poland)'), ('zh-CN', 'Chinese (China)'), ('ja-JP', 'Japanese (Japan)')], db_default='', default='', max_length=16),
        ),
    ]
