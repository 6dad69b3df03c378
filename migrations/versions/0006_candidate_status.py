"""Candidates follow their application: status links (stored as hashes), withdrawal by the candidate.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_status_link_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_status_link_token_hash'))
    )
    with op.batch_alter_table('status_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_link_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_candidate', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_column('by_candidate')

    with op.batch_alter_table('status_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_link_application_id'))

    op.drop_table('status_link')
