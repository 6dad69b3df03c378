"""The form keeps a résumé that passed its checks after a validation error, for a few hours.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kept_resume',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('form_token_hash', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_resume')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_kept_resume_key_hash'))
    )
    with op.batch_alter_table('kept_resume', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kept_resume_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_resume_form_token_hash'), ['form_token_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('kept_resume', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kept_resume_form_token_hash'))
        batch_op.drop_index(batch_op.f('ix_kept_resume_created_at'))

    op.drop_table('kept_resume')
