"""Assessment against merit criteria: one per reviewer and criterion.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('criterion_id', sa.String(length=100), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('justification', sa.String(length=2000), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_assessment_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_assessment_staff_user_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('application_id', 'staff_user_id', 'criterion_id', name=op.f('uq_assessment_application_id'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('criteria_basis', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_column('criteria_basis')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_application_id'))

    op.drop_table('assessment')
